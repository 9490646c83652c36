# REST API for the ledger (filled by arrears/ledger/apis.py).
urlpatterns: list = []
