#!/usr/bin/env python3
"""Builds the bad-input suite's input files once (CTest fixture): a valid schedule and its broken
variants (valid hash, invalid content), platform XML/TOML, GPU tables, profiles, config files, IDX and
CIFAR data files. Each case copies this folder and runs in the copy.
   make_fixtures.py RESIST REHASH OUTDIR"""
import copy, gzip, json, os, shutil, struct, subprocess, sys

resist, rehash, out = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
os.chdir(out)

def write(name, text, mode="w"):
    with open(name, mode) as f:
        f.write(text)

# --- schedules: a small valid one (resist, 4 workers, 3 rounds) and broken copies with a valid hash
SMALL = ["--model", "preact_resnet_small", "--image-size", "8", "--dataset", "synthetic", "--train-size", "64",
         "--batch", "16", "--local-steps", "2", "--workers", "2", "--rounds", "3"]
subprocess.run([resist, "schedule", *SMALL, "--out", "good.json"], check=True)
good = json.load(open("good.json"))

def variant(name, mutate):
    doc = copy.deepcopy(good)
    mutate(doc)
    with open(name, "w") as f:
        json.dump(doc, f)
    subprocess.run([rehash, name], check=True)

def setw(r, w, key, value):
    def m(d):
        d["rounds"][r]["workers"][w][key] = value
    return m

variant("s_block_range.json", setw(0, 0, "blocks", [999]))
variant("s_block_negative.json", setw(0, 1, "blocks", [-3]))
variant("s_block_dup.json", lambda d: d["rounds"][1]["workers"][0].__setitem__("blocks", d["rounds"][1]["workers"][0]["blocks"] * 2))
variant("s_block_unsorted.json", lambda d: d["rounds"][0]["workers"][0].__setitem__("blocks", list(reversed(good["model"]["partitionable"]))))
variant("s_worker_missing.json", lambda d: d["rounds"][2]["workers"].pop())
variant("s_worker_extra.json", lambda d: d["rounds"][0]["workers"].append(copy.deepcopy(d["rounds"][0]["workers"][0])))
variant("s_worker_id.json", setw(1, 1, "worker", 7))
variant("s_worker_huge.json", setw(1, 1, "worker", 2**40))
variant("s_empty_rounds.json", lambda d: d.__setitem__("rounds", []))
variant("s_round_missing.json", lambda d: d["rounds"].pop(1))
variant("s_steps_negative.json", lambda d: d["rounds"][0].__setitem__("steps", -5))
variant("s_steps_zero.json", lambda d: d["rounds"][0].__setitem__("steps", 0))
variant("s_steps_huge.json", lambda d: d["rounds"][0].__setitem__("steps", 2000000000))
variant("s_first_step.json", lambda d: d["rounds"][2].__setitem__("first_step", 99))
variant("s_lr_zero.json", lambda d: d["rounds"][0].__setitem__("lr", [[0, 0.0]]))
variant("s_lr_negative.json", lambda d: d["rounds"][0].__setitem__("lr", [[0, -0.1]]))
variant("s_lr_empty.json", lambda d: d["rounds"][0].__setitem__("lr", []))
variant("s_lr_order.json", lambda d: d["rounds"][0].__setitem__("lr", [[0, 0.1], [5, 0.01]]))
variant("s_batch_zero.json", lambda d: d["config"].__setitem__("batch", 0))
variant("s_config_workers.json", lambda d: d["config"].__setitem__("workers", 3))
variant("s_config_lr.json", lambda d: d["config"].__setitem__("lr", -1))
variant("s_config_seed.json", lambda d: d["config"].__setitem__("seed", -1))
variant("s_config_model.json", lambda d: d["config"].__setitem__("model", "nosuch"))
variant("s_model_name.json", lambda d: d["model"].__setitem__("name", "resnet50"))
variant("s_params.json", lambda d: d["model"].__setitem__("params", 5))
variant("s_partitionable.json", lambda d: d["model"].__setitem__("partitionable", [0, 1, 2, 500]))
variant("s_total_steps.json", lambda d: d.__setitem__("total_steps", 10**12))
variant("s_data_seed.json", setw(0, 0, "data_seed", -4))
variant("s_eval_scale.json", lambda d: d["model"].__setitem__("eval_scale", 1e308 * 10 if False else 7.5))
variant("s_rounds_type.json", lambda d: d.__setitem__("rounds", "many"))
doc = copy.deepcopy(good); doc["hash"] = "xxh3-128:" + "0" * 32
json.dump(doc, open("s_hash.json", "w"))
doc = copy.deepcopy(good); doc["format"] = "resist-schedule/9"
json.dump(doc, open("s_format.json", "w"))
write("s_truncated.json", open("good.json").read()[:200])
write("s_not_json.json", "this is not json\n")
write("s_array.json", "[1, 2, 3]\n")
write("s_empty.json", "")

# --- platform XML
xml_head = """<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <zone id="z" routing="Full">
"""
def xml_platform(name, bw="10GBps", lat="1us", routes=True, prop="", speed_factor="1"):
    hosts = "".join(f'    <host id="gpu{i}" speed="1Tf"><prop id="gpu" value="V100"/>'
                    f'<prop id="speed_factor" value="{speed_factor}"/></host>\n' for i in range(2))
    text = xml_head + prop + hosts + f'    <link id="l" bandwidth="{bw}" latency="{lat}"/>\n'
    if routes:
        text += '    <route src="gpu0" dst="gpu1"><link_ctn id="l"/></route>\n'
    text += "  </zone>\n</platform>\n"
    write(name, text)
xml_platform("p_good.xml")
xml_platform("p_bw_zero.xml", bw="0GBps")
xml_platform("p_bw_negative.xml", bw="-5GBps")
xml_platform("p_bw_nan.xml", bw="nanGBps")
xml_platform("p_bw_inf.xml", bw="infGBps")
xml_platform("p_lat_nan.xml", lat="nanus")
xml_platform("p_no_routes.xml", routes=False)
xml_platform("p_prop_inf.xml", prop='    <prop id="collective_latency_s" value="inf"/>\n')
xml_platform("p_prop_text.xml", prop='    <prop id="group_create_s" value="soon"/>\n')
xml_platform("p_speed_nan.xml", speed_factor="nan")
write("p_not_xml.xml", "<platform><zone id='z'\n")
write("p_no_platform.xml", "<?xml version='1.0'?>\n<nothing/>\n")

# --- parametric TOML
toml_good = 'gpus_per_node = 2\ngpu = "V100"\nnic_bw_GBps = 10\n'
def toml_platform(name, extra):
    write(name, toml_good + extra)
toml_platform("t_nodes_negative.toml", "nodes = -1\n")
toml_platform("t_nodes_huge.toml", "nodes = 1000000000\n")
toml_platform("t_nic_inf.toml", "nics_per_node = 1\nintra_bw_GBps = inf\n")
toml_platform("t_nic_nan.toml", "intra_bw_GBps = nan\n")
toml_platform("t_nic_zero.toml", "intra_bw_GBps = 0\n")
toml_platform("t_latency_negative.toml", "inter_latency_us = -1\n")
toml_platform("t_topology.toml", 'topology = "ring"\n')
toml_platform("t_unknown_key.toml", "warp_factor = 9\n")
toml_platform("t_oversub_zero.toml", "oversubscription = 0\n")
toml_platform("t_slow_inf.toml", "slow_factor = inf\n")
toml_platform("t_slow_workers.toml", 'slow_workers = ["a"]\n')
toml_platform("t_param_nan.toml", "[params]\ncollective_latency_s = nan\n")
toml_platform("t_gpus_float.toml", "nodes = 2.5\n")
write("t_syntax.toml", "gpus_per_node = = 2\n")
write("t_huge_bw.toml", "gpus_per_node = 2\nnic_bw_GBps = 1e300\n")

# --- GPU tables and profiles
header = ("kind,fp32_tflops,tf32_tflops,fp16_tflops,bf16_tflops,mem_GBps,fp32_efficiency,tf32_efficiency,"
          "half_efficiency,mem_efficiency,launch_us,nvls\n")
# accuracy curves (resist simulate --accuracy-curve)
write("curve_ok.csv", "round,acc_pct\n1,40\n2,55\n")
write("curve_pct.csv", "round,acc_pct\n1,140\n")
write("curve_noacc.csv", "round,loss\n1,0.5\n")
write("curve_back.csv", "round,acc_pct\n2,40\n1,55\n")
write("curve_width.csv", "round,acc_pct\n1,40,9\n")
# events files (simulate --events): S runs 2 workers
eheader = "time_s,round,worker,event,factor,until_s\n"
write("ev_ok.csv", eheader + ",1,1,fail,,\n")
write("ev_unknown.csv", eheader + ",1,1,explode,,\n")
write("ev_worker.csv", eheader + ",1,2,fail,,\n")
write("ev_until.csv", eheader + "10,,1,slow,0.5,5\n")
write("ev_time_text.csv", eheader + "soon,,1,fail,,\n")
write("ev_round_fraction.csv", eheader + ",1.5,1,fail,,\n")
write("ev_factor_inf.csv", eheader + ",1,1,slow,inf,\n")
write("ev_factor_missing.csv", eheader + ",1,1,link,,\n")
write("ev_when_missing.csv", eheader + ",,1,fail,,\n")
write("ev_header.csv", "time,worker,event\n1,1,fail\n")
write("g_header.csv", "kind,tflops\nV100,15.7\n")
write("g_fields.csv", header + "V100,15.7,0,125\n")
write("g_inf.csv", header + "V100,inf,0,125,0,900,0.6,0,0.5,0.7,5,0\n")
write("g_nan.csv", header + "V100,15.7,0,125,0,nan,0.6,0,0.5,0.7,5,0\n")
write("g_negative.csv", header + "V100,15.7,0,125,0,900,-0.6,0,0.5,0.7,5,0\n")
write("g_overflow.csv", header + "V100,1e400,0,125,0,900,0.6,0,0.5,0.7,5,0\n")
write("g_empty.csv", header)
write("g_text.csv", header + "V100,fast,0,125,0,900,0.6,0,0.5,0.7,5,0\n")
write("g_tensor_zero.csv", header + "A100,19.5,156,312,312,2039,0.9,0.27,0,0.83,5,0\n")
pheader = "layer,batch,forward_s,backward_s\n"
write("f_header.csv", "layer,ms\nconv1,3\n")
write("f_batch_zero.csv", pheader + "conv1,0,0.001,0.002\n")
write("f_batch_huge.csv", pheader + "conv1,1e12,0.001,0.002\n")
write("f_inf.csv", pheader + "conv1,128,inf,0.002\n")
write("f_nan.csv", pheader + "conv1,128,0.001,nan\n")
write("f_layer.csv", pheader + "no_such_layer,128,0.001,0.002\n")
write("f_ok.csv", pheader + "conv1,128,0.001,0.002\n")  # valid, but no step_wall_cv to read
write("f_threads_text.csv", "# resist profile v1\n# model=preact_resnet_small threads=abc\n"
      "layer,batch,forward_s,backward_s,forward_cpu_s,backward_cpu_s\nconv1,128,0.001,0.002,0.001,0.002\n")
write("f_cv_bad.csv", "# resist profile v1\n# model=preact_resnet_small step_wall_cv=lots\n"
      "layer,batch,forward_s,backward_s,forward_cpu_s,backward_cpu_s\nconv1,128,0.001,0.002,0.001,0.002\n")

# --- config files
write("c_syntax.toml", "workers = [4\n")
write("c_json_syntax.json", '{"workers": 4,,}\n')
write("c_unknown.toml", "warp = 9\n")
write("c_table.toml", "[run]\nworkers = 4\n")
write("c_lr_inf.toml", "lr = inf\n")
write("c_lr_nan.toml", "lr = nan\n")
write("c_batch_float.toml", "batch = 1e12\n")
write("c_seed_negative.toml", "seed = -1\n")
write("c_json_lr.json", '{"lr": "inf"}\n')
write("c_json_object.json", '{"workers": {"a": 1}}\n')
write("c_workers_zero.toml", "workers = 0\n")
write("c_json_dup.json", '{"workers": 2, "workers": 4}\n')
write("c_json_dup_spelling.json", '{"min-depth": 1, "min_depth": 2}\n')
write("c_workers_float.toml", "workers = 4.0\n")
write("c_json_workers_float.json", '{"workers": 4.0}\n')
write("c_lp_beta.toml", "lp-beta = 2\n")
os.mkdir("c_dir.toml")

# --- a finished run directory as `resist train` leaves it (exec/run_files.cpp, exec/trainer.cpp), with the
# profile and platform `resist validate` would otherwise measure; broken copies of it
def run_dir(name, summary=None, timeline=None, drop=()):
    os.makedirs(name)
    shutil.copy("good.json", f"{name}/schedule.json")
    json.dump({"schedule_hash": good["hash"], "train": {"threads": 1, "device": "cpu"},
               "measured": {"cores": 2, "local_world_size": 2, "collective": "c10d"}}, open(f"{name}/config.json", "w"))
    if summary is None:
        summary = '{"startup_s": 1.0, "train_wall_s": 3.0, "eval_s": 0.0, "load_avg_start": 0.1, "load_avg_end": 0.2}'
    write(f"{name}/summary.json", summary + "\n")
    if timeline is None:
        timeline = "".join(f"{r},{w},compute,{r + 0.0},{r + 0.8},0,0,local_steps\n"
                           f"{r},{w},communication,{r + 0.8},{r + 1.0},1000,1000,sync\n"
                           for r in range(3) for w in range(2))
    write(f"{name}/timeline.csv", "round,worker,phase,start_s,end_s,bytes_sent,bytes_received,label\n" + timeline)
    write(f"{name}/rounds.csv", "")
    write(f"{name}/eval.csv", "round,accuracy,loss,images,eval_s\n")
    write(f"{name}/profile.csv", pheader + "conv1,16,0.001,0.002\n")
    write(f"{name}/platform.toml", toml_good)
    for f in drop:
        os.remove(f"{name}/{f}")
run_dir("v_run")
run_dir("v_summary_empty", summary="")
run_dir("v_summary_object", summary="{}")
run_dir("v_wall_negative", summary='{"startup_s": 1.0, "train_wall_s": -3.0, "eval_s": 0.0}')
run_dir("v_wall_huge", summary='{"startup_s": 1.0, "train_wall_s": 1e308, "eval_s": 0.0}')
run_dir("v_timeline_header", timeline="")
run_dir("v_timeline_round", timeline="0,0,compute,0.0,1.0,0,0,local_steps\n")
run_dir("v_no_eval", drop=("eval.csv",))

# --- data files (fashion_mnist layout, .gz)
def idx(folder, n=4, labels=None, magic=2051, header=None, truncate=0):
    """n images of 28x28; `header` = (N, rows, cols) states other sizes than the bytes that follow."""
    os.makedirs(folder, exist_ok=True)
    labels = labels if labels is not None else [i % 10 for i in range(n)]
    img = struct.pack(">IIII", magic, *(header or (n, 28, 28))) + bytes(n * 28 * 28)
    if truncate:
        img = img[:-truncate]
    lab = struct.pack(">II", 2049, n) + bytes(labels)
    for split in ("train", "t10k"):
        with gzip.open(f"{folder}/{split}-images-idx3-ubyte.gz", "wb") as f:
            f.write(img)
        with gzip.open(f"{folder}/{split}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(lab)
idx("d_magic", magic=1234)
idx("d_overflow", header=(0xFFFFFFFF, 0xFFFF, 0xFFFF))
idx("d_label", labels=[0, 1, 250, 3])
idx("d_truncated", truncate=10)
os.makedirs("d_garbage")
for split in ("train", "t10k"):
    write(f"d_garbage/{split}-images-idx3-ubyte.gz", b"\x1f\x8b\x08garbage", "wb")
    write(f"d_garbage/{split}-labels-idx1-ubyte.gz", b"\x1f\x8b\x08garbage", "wb")
os.makedirs("d_cifar_size")
for i in range(1, 6):
    write(f"d_cifar_size/data_batch_{i}.bin", bytes(3073 * 2 + 5), "wb")
write("d_cifar_size/test_batch.bin", bytes(3073), "wb")
os.makedirs("d_cifar_label")
for i in range(1, 6):
    write(f"d_cifar_label/data_batch_{i}.bin", bytes([200]) + bytes(3072), "wb")
write("d_cifar_label/test_batch.bin", bytes(3073), "wb")

# --- image folders (imagefolder): the scan reads names and signatures only, so a JPEG signature suffices
JPEG_SIG = b"\xff\xd8\xff\xe0" + bytes(60)
for d, files in {"d_if_empty_class": {"train/a/x.jpg": JPEG_SIG, "train/b/notes.txt": b"no image"},
                 "d_if_not_image": {"train/a/x.jpg": JPEG_SIG, "train/b/y.png": b"GIF89a, not a PNG"},
                 "d_if_no_classes": {"train/x.jpg": JPEG_SIG},
                 "d_if_val_classes": {"train/a/x.jpg": JPEG_SIG, "train/b/y.jpg": JPEG_SIG, "val/a/z.jpg": JPEG_SIG}}.items():
    for name, data in files.items():
        os.makedirs(os.path.dirname(f"{d}/{name}"), exist_ok=True)
        write(f"{d}/{name}", data, "wb")

# --- checkpoints that are not ours
os.makedirs("k_stray")
write("k_stray/checkpoint.r99999999999.rank0.pt", "x")
os.makedirs("k_garbage")
write("k_garbage/checkpoint.r0.rank0.pt", "not a checkpoint")

# --- communication baselines for `resist comm $S --rounds 3 --check FILE` (S: preact_resnet_small, 2 workers)
with open("comm_base.json", "w") as f:
    subprocess.run([resist, "comm", "--model", "preact_resnet_small", "--workers", "2", "--rounds", "3",
                    "--format", "json"], check=True, stdout=f)
with open("comm_base.csv", "w") as f:
    subprocess.run([resist, "comm", "--model", "preact_resnet_small", "--workers", "2", "--rounds", "3",
                    "--format", "csv"], check=True, stdout=f)
comm = json.load(open("comm_base.json"))
def comm_variant(name, mutate):
    doc = copy.deepcopy(comm)
    mutate(doc)
    with open(name, "w") as f:
        json.dump(doc, f)
def set_row(key, value, row=0):
    def m(d):
        d["rows"][row][key] = value
    return m
comm_variant("comm_lower.json", set_row("bytes_per_run", comm["rows"][0]["bytes_per_run"] - 1))
comm_variant("comm_bytes_fraction.json", set_row("bytes_per_round", 1.5))
comm_variant("comm_bytes_negative.json", set_row("wire_bytes_per_round", -8))
comm_variant("comm_bytes_text.json", set_row("bytes_per_run", "many"))
comm_variant("comm_workers_huge.json", set_row("workers", 2**40))
comm_variant("comm_protocol_unknown.json", set_row("protocol", "gossip"))
comm_variant("comm_row_twice.json", lambda d: d["rows"].append(d["rows"][0]))
comm_variant("comm_no_settings.json", lambda d: d.pop("settings"))
comm_variant("comm_no_rows.json", lambda d: d.pop("rows"))
comm_variant("comm_setting_huge.json", lambda d: d["settings"].__setitem__("epochs", 1e308))
write("comm_bytes_overflow.json", open("comm_base.json").read().replace(
    '"bytes_per_run": %d' % comm["rows"][0]["bytes_per_run"], '"bytes_per_run": 1e400', 1))
write("comm_truncated.json", open("comm_base.json").read()[:300])
write("comm_empty.json", "")

# --- files that must not be replaced
write("guard.txt", "precious\n")
os.symlink("guard.txt", "link_to_guard")
os.mkdir("a_dir")
