"""The Python package against the real binary ($RESIST): each function's DataFrame has the promised rows and
columns and agrees with the published or the command line's numbers; bad input raises ResistError (exit 2)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import resist  # noqa: E402


class ModelAndComm(unittest.TestCase):
    def test_model_rows_sum_to_the_published_parameter_count(self):
        df = resist.model("resnet50")
        self.assertIn("params", df.columns)
        self.assertEqual(df.attrs["params"], 25_557_032)  # torchvision's resnet50
        self.assertEqual(int(df["params"].sum()), df.attrs["params"])

    def test_comm_one_row_per_protocol_and_workers(self):
        df = resist.comm(workers=[2, 4], protocols=["resist", "local_sgd"])
        self.assertEqual(sorted(zip(df["protocol"], df["workers"])),
                         [("local_sgd", 2), ("local_sgd", 4), ("resist", 2), ("resist", 4)])
        resist_4 = df[(df.protocol == "resist") & (df.workers == 4)].iloc[0]
        local_4 = df[(df.protocol == "local_sgd") & (df.workers == 4)].iloc[0]
        self.assertLess(resist_4.bytes_per_round, local_4.bytes_per_round)


class Simulate(unittest.TestCase):
    def test_simulate_rows_and_context(self):
        df = resist.simulate(workers=4, rounds=3, protocols=["resist", "local_sgd"])
        self.assertEqual(list(df["protocol"]), ["resist", "local_sgd"])
        self.assertTrue((df["total_s"] > 0).all())
        self.assertEqual(df.attrs["workers"], 4)
        self.assertEqual(df.attrs["model"], "preact_resnet101_cifar")
        # The same as the command line's own JSON.
        j = resist.run_json("simulate", workers=4, rounds=3, protocols="resist,local_sgd")
        self.assertAlmostEqual(df["total_s"].iloc[0], j["results"][0]["total_s"])

    def test_sweep_one_row_per_point(self):
        df = resist.sweep(workers=[2, 4], rounds=2, protocols=["resist", "local_sgd"])
        self.assertEqual(len(df), 4)
        self.assertEqual(sorted(set(df["workers"])), [2, 4])
        for col in ("platform", "protocol", "total_s", "speedup_vs_local_sgd"):
            self.assertIn(col, df.columns)

    def test_bad_input_raises_with_resists_message(self):
        with self.assertRaises(resist.ResistError) as e:
            resist.simulate(workers=0, rounds=2)
        self.assertEqual(e.exception.returncode, 2)
        self.assertIn("--workers", str(e.exception))
        self.assertIn("0", str(e.exception))


@unittest.skipUnless(os.path.exists(resist.binary() + "-torch"), "the trainer (resist-torch) is not built")
class Validate(unittest.TestCase):
    def test_validate_rows_per_round(self):
        d = tempfile.mkdtemp()
        try:
            run = os.path.join(d, "run")
            subprocess.run([resist.binary(), "train", "--model", "preact_resnet_small", "--image-size", "8",
                            "--dataset", "synthetic", "--train-size", "128", "--batch", "16", "--local-steps", "2",
                            "--rounds", "2", "--threads", "1", "--test-size", "32", "-q", "--run-dir", run],
                           check=True, capture_output=True)
            # One rank has no communication to measure: a one-node platform of this machine's kind stands in.
            df = resist.validate(run, platform="parametric:nodes=1,gpus_per_node=1,cores_per_node=2")
            self.assertEqual(list(df["round"]), [0, 1])
            self.assertTrue((df["predicted_total_s"] > 0).all() and (df["measured_total_s"] > 0).all())
            self.assertIn("total", list(df.attrs["parts"]["name"]))
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
