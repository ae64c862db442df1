"""The data science stack, as the agent user, writing into /workspace."""

import tempfile
import unittest
from pathlib import Path


class DataScienceStackTest(unittest.TestCase):
    def setUp(self) -> None:
        self.out = Path(tempfile.mkdtemp(dir="/workspace"))

    def test_dataframe_group_and_aggregate(self) -> None:
        import pandas as pd

        frame = pd.DataFrame({"team": ["a", "b", "a", "b", "c"], "score": [1.0, 2.0, 3.0, 4.0, 10.0]})
        summary = frame.groupby("team")["score"].agg(["sum", "mean", "count"])
        self.assertEqual(summary.loc["a"].tolist(), [4.0, 2.0, 2])
        self.assertEqual(summary.loc["c", "count"], 1)

    def test_fit_a_small_model(self) -> None:
        import numpy as np
        from scipy import stats
        from sklearn.linear_model import LinearRegression

        x = np.arange(20, dtype=float).reshape(-1, 1)
        y = 3.0 * x.ravel() + 2.0
        model = LinearRegression().fit(x, y)
        self.assertAlmostEqual(model.coef_[0], 3.0, places=6)
        self.assertAlmostEqual(model.intercept_, 2.0, places=6)
        self.assertAlmostEqual(stats.pearsonr(x.ravel(), y)[0], 1.0, places=9)

    def test_save_a_png_plot_into_the_workspace(self) -> None:
        import matplotlib
        import matplotlib.pyplot as plt

        self.assertEqual(matplotlib.get_backend().lower(), "agg")
        figure, axes = plt.subplots()
        axes.plot([1, 2, 3], [3, 1, 2])
        target = self.out / "plot.png"
        figure.savefig(target)
        plt.close(figure)
        self.assertEqual(target.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(target.stat().st_size, 1000)


if __name__ == "__main__":
    unittest.main()
