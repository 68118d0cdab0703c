camrig_api = ">=2,<3"
