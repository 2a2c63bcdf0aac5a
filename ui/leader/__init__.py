"""领导接访: the duty leader's queue and the reception record."""
