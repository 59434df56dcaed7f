"""ServerApp: the strategy named in the run config, evaluated on the server's test set."""
from mlops_course.privacy.fl.flower_apps import make_server_app

app = make_server_app()
