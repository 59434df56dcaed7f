"""Tests of mlops_course.explain."""
