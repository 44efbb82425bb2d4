from transformers import AutoModel
m = AutoModel.from_pretrained("org/model", revision="abc123")
