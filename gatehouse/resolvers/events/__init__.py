"""Reading events (the events page and subscription) and where they are sent: webhook
endpoints, log streams and their deliveries."""
