"""Push notifications (issue 13): the provider layer the outbox worker sends through.

``providers`` holds the interface and results, ``fcm`` and ``apns`` the two services,
``factory`` builds them from the settings.
"""
