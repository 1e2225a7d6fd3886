"""Adapters at the edge: SQL stores, Kafka, the embedded broker process."""
