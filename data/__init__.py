"""`kit.data`: the shipped sample history, installed with the package (setuptools maps this folder).

This folder stays at the top of the checkout, and setuptools' `package-dir` installs it as `kit.data`,
so a wheel, `pip install git+…` and an editable install all reach the sample through
`importlib.resources` rather than a path next to the source tree. It holds data only: no code.
"""
