"""Security of ML systems: the attacks of unit 01 and the safeguards of unit 02.

Attacks (unit 01, ``notebooks/01_security_threats.ipynb``), one concept per module:

* :mod:`.models` — the targets: input gradients and logits of scikit-learn's logistic
  regression and MLP, and the offline data splits (digits, breast cancer) the demos use;
* :mod:`.poisoning` — random and targeted label flipping, a backdoor trigger; k-NN
  sanitisation and spectral signatures as defences;
* :mod:`.evasion` — FGSM and PGD adversarial examples, transfer between models; adversarial
  training and randomised smoothing as defences;
* :mod:`.extraction` — equation-solving extraction of a logistic regression (Tramèr et al. 2016),
  label-only extraction by retraining; rounding, label-only answers and query budgets;
* :mod:`.inversion` — model inversion from confidences (Fredrikson et al. 2015); rounding;
* :mod:`.membership` — loss-threshold (Yeom et al. 2018) and shadow-model (Shokri et al. 2017)
  membership inference; DP-SGD training as the defence;
* :mod:`.prompt_injection` — a deterministic LLM-style assistant with tools, a system prompt and
  retrieval: direct and indirect injection, leakage, defences, OWASP LLM Top 10 map;
* :mod:`.exhaustion` — flooding a model endpoint with expensive inputs; size limits, token-bucket
  rate limiting and quotas.

Import from the modules themselves (``from mlops_course.security.evasion import fgsm``); this
package file re-exports nothing, so each module stays independent.
"""
