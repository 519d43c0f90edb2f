"""GraphQL of checkups, promo codes and reviews: ``viewer.checkupResults``,
``completeCheckup``, ``leaveReview`` and the admins' ``reviewStats``."""
