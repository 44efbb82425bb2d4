from transformers import AutoModel
m = AutoModel.from_pretrained("org/model", trust_remote_code=True)
