"""One package per audience: public (citizens) first; dashboard, hr, admin and api follow."""
