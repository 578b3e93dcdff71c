print("controller")
