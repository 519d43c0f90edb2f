"""Push notifications (issue 13): devices, an outbox of notifications, a worker, providers.

- ``devices``: registering a client's device tokens (one row per token);
- ``outbox``: notifications written in the transaction of their event (bookings,
  reminders, the welcome, care replies, checkup results);
- ``templates``: every push text, in Russian, without personal or medical content;
- ``worker``: claims due rows and delivers them, with retries and a dead letter;
- ``providers`` holds the provider interface and results, ``fcm`` and ``apns`` the two
  services, ``factory`` builds them from the settings; ``runtime`` runs the worker.
"""
