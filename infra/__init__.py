"""Infrastructure adapters shared by the services: settings, logging, Kafka, MongoDB, Redis, health.

Imports `schemas` and libraries, never a service.
"""
