print("Quiesce demos: see issue 3 (being built).")
