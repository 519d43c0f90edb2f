"""GraphQL surface of push notifications: registering the devices they go to."""
