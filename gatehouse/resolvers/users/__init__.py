"""People as people: the linking rule, email changes, profiles, merges, erasure and export."""
