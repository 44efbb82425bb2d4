import torch
state = torch.load("model.pt", weights_only=True)
other = torch.load(
    "x.pt",
    weights_only=True,
)
