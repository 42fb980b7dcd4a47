"""The reliability report: data for the notebook, its charts and tables, and the papermill run."""
