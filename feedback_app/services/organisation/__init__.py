"""The organisation: the unit tree (units), service points with their hours and service types (points), staff
records, photos and transfers (staff), NIP rules (nip), the shape of codes (codes), accounts and their scope
(accounts), and the roster import (roster_import). A form's refusals by field are `invalid.Invalid`."""
