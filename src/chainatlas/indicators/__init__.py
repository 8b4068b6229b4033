"""GVC indicators (METHODS §3, §5–§9, §11, §15) as pure functions of an MRIOModel.

Every function returns a tidy DataFrame (year, entity columns, indicator, value) whose
``attrs`` record the missing members of the groups used, notes and share exceptions.
"""
