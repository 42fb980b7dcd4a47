"""`kit.notebooks`: the report notebook, installed with the package (setuptools maps this folder).

The notebook stays at the top of the checkout, where people open it; setuptools' `package-dir`
installs it as `kit.notebooks`, so `codex-kit report` finds it through `importlib.resources`
wherever codex-kit is installed. It holds the notebook only: no code.
"""
