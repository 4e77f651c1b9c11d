"""Pages of docs/ generated from the declarations they describe (a test keeps each equal).

``python -m shequn.docs`` rewrites them all.
"""
