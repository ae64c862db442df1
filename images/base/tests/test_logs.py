import io
import json
import unittest

from agent.logs import JsonLogger
from jsonschema_subset import validate


class JsonLoggerTest(unittest.TestCase):
    def test_one_contract_log_line_per_event(self) -> None:
        out = io.StringIO()
        logger = JsonLogger("task-1", "info", stream=out)
        logger.info("registered", pid=7)
        logger.debug("hidden")
        logger.error("failed", error="boom", nested={"list": [1, "two"]})
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 2)
        for line in lines:
            validate(json.loads(line), "log-line")
        first = json.loads(lines[0])
        self.assertEqual((first["level"], first["task_id"], first["event"], first["fields"]), ("info", "task-1", "registered", {"pid": 7}))

    def test_secrets_never_appear(self) -> None:
        out = io.StringIO()
        logger = JsonLogger("task-1", secrets=["tok-123"], stream=out)
        logger.warning("request_failed", url="http://cp/?token=tok-123", headers={"Authorization": "Bearer tok-123"}, items=["tok-123"])
        self.assertNotIn("tok-123", out.getvalue())
        self.assertIn("[REDACTED]", out.getvalue())


if __name__ == "__main__":
    unittest.main()
