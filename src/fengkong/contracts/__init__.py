"""Sales contracts: framework commitments with a customer, part of exposure until delivered."""
