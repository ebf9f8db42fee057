"""ASN performance: ratings, peer feedback and the formula (appraisal), periods' cycle and close (cycle), awards,
and HR's export of a closed period (hr_export)."""
