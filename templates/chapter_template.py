# %% [markdown]
# # Chapter NN — Title
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/bow-to-bert/text-classification-course/blob/v0.1.0/chapters/NN_name.ipynb)
#
# **In this chapter you will**
# - objective 1 (3-5 objectives, each a verb a learner can check)
#
# **Time:** about N min on a laptop CPU (cpu profile), about M min on a Colab T4 GPU (gpu profile).
# **Needs:** chapter 00 (setup); chapter XX for ...
#
# Convert: `jupytext --to ipynb -o chapters/NN_name.ipynb templates/chapter_template.py`, collapse the solution
# cells (metadata `{"jupyter": {"source_hidden": true}}`), then `bash scripts/execute_notebooks.sh chapters/NN_name.ipynb`.

# %%
# Setup. In Colab: install the course package at this notebook's ref, once, keeping Colab's torch
# (COURSE_PIP_SPEC overrides what is installed). Locally and in CI the `if` block is skipped.
import importlib, importlib.metadata, importlib.util, os, shutil, subprocess, sys, tempfile
if "google.colab" in sys.modules:
    if importlib.util.find_spec("course_utils") is None:
        spec = os.environ.get("COURSE_PIP_SPEC", "bow-to-bert @ git+https://github.com/bow-to-bert/text-classification-course@v0.1.0")
        keep = os.path.join(tempfile.mkdtemp(), "keep-torch.txt")  # pip must not replace Colab's torch
        open(keep, "w").write(f"torch=={importlib.metadata.version('torch')}\n")
        pip = subprocess.run([sys.executable, "-m", "pip", "install", spec, "-c", keep],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if pip.returncode != 0:
            log, (url, _, ref) = pip.stdout, spec.split("git+")[-1].rpartition("@")
            print(log[-3000:])  # pip's own words; the last line below says what to do
            raise SystemExit("No network: connect, then Runtime → Restart session and run this cell again."
                if any(s in log for s in ("resolve host", "unreachable", "Failed to connect", "timed out")) else
                f"The ref {ref} does not exist in {url}: open the notebook from a tagged release or run scripts/sync_links.py."
                if any(s in log for s in ("remote ref", "did not match", "not found", "Username")) else
                "pip could not install the course package: the lines above say why.")
        importlib.invalidate_caches()
    if shutil.which("nvidia-smi") is None:
        print("No GPU: every chapter still runs, at smaller sizes. For speed: Runtime → Change runtime type → T4 GPU.")

import course_utils as cu
env = cu.setup(chapter="NN")

# %% [markdown]
# ## 1. A section: what and why (short markdown)

# %%
data = cu.load_course_dataset("sst2")          # sizes follow env.profile

# %% [markdown]
# **What to notice.** One or two sentences on what the output shows.
#
# ## Record the headline number
# Print numbers from code, with the profile next to them; record them in the results store.

# %%
# cu.record_result(chapter="NN", experiment="...", model="...", dataset="sst2", split="validation",
#                  metric="accuracy", value=acc, n_train=len(data["train"]), seconds=t.seconds, params=n_params)

# %% [markdown]
# ## Exercises
# **Exercise NN.1.** The task, stated so a learner knows when it is done.

# %%
from course_utils.checks import ch00 as ch   # chNN in a real chapter
answer = None  # your answer here
ch.check_cosine(answer)

# %%
# Solution
import numpy as np
solution = lambda a, b: float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
assert ch.check_cosine(solution)

# %% [markdown]
# ## Summary
# - What we learned; the chapter's results table (`cu.leaderboard()` filtered to this chapter); pitfalls;
#   further reading with links to papers.
