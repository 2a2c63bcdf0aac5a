"""Leaders' on-duty reception roster (领导接访排班): rules, the editable holiday table, generation, publication.

UI-free. The desk app calls ``reception.roster.service`` (month views, generation, swaps, publication, today's
duty leader) and ``reception.roster.holidays`` (the holiday table); ``rules`` holds the settings and the pure date
rules; ``engine`` the pure rotation.
"""
