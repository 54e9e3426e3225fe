"""Personal data planted in test records so a leak is findable: the whole run's logs are checked
for these values (tests/conftest.py), and error-response tests send them in bad payloads.

The ID number and phone are valid in form (an 18-character resident ID with its X check
character, a mainland mobile number), so the masks must recognise them, not merely miss them.
"""

from __future__ import annotations

from tests.personas import PASSWORD

ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"
EMAIL = "planted.person@example.cn"

PLANTED_VALUES: dict[str, str] = {
    "id number": ID_NUMBER,
    "phone": PHONE,
    "e-mail": EMAIL,
    "password": PASSWORD,
}
