# The worker of the "How to wire Tidebase into a FastAPI app" doc, as written.
from tidebase import Tidebase
from workflows import generate_report

tide = Tidebase()
tide.workflow("generate-report", generate_report)
tide.work(queues=["default"])  # blocks; retries/backoff/leases are Tidebase's problem
