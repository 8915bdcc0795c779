"""Payments: collect (缴费), status, reversal (冲正), void (撤销), reprint and offline upload."""
