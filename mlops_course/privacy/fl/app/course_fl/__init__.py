"""The course's Flower App (ServerApp + ClientApp built by mlops_course.privacy.fl.flower_apps)."""
