# %% [markdown]
# # Chapter NN — Title
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/bow-to-bert/text-classification-course/blob/main/chapters/NN_name.ipynb)
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
# Setup: in Colab this installs the course package (pinned); locally and in CI it changes nothing.
import importlib.util, subprocess, sys
if "google.colab" in sys.modules and importlib.util.find_spec("course_utils") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "bow-to-bert @ git+https://github.com/bow-to-bert/text-classification-course@v0.1.0"], check=True)

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
