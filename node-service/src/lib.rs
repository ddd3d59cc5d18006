//! What every node serves: the store service, the HTTP JSON API, configuration and start-up.
