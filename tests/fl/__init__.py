"""Tests of the federated-learning unit (mlops_course.privacy.fl)."""
