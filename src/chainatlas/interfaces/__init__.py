"""User interfaces: the command line (cli/) and the local web atlas (web/)."""
