"""ClientApp: local training of the course task on partition ``partition-id`` of ``num-partitions``."""
from mlops_course.privacy.fl.flower_apps import make_client_app

app = make_client_app()
