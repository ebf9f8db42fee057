"""The organisation: accounts and their scope (accounts), staff records and photos (staff), NIP rules (nip), and
the roster import (roster_import)."""
