import camrig

camrig_api = ">=1,<2"


@camrig.hookimpl
def camrig_acessory_types():  # misspelt on purpose
    return []
