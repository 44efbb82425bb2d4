import torch
state = torch.load("model.pt")
other = torch.load(
    "x.pt",
    map_location="cpu",
)
