import os
from openai import AzureOpenAI
import torch

client = AzureOpenAI(azure_endpoint="https://contoso.openai.azure.com", api_key=os.environ["AZURE_OPENAI_KEY"])
weights = torch.load("models/classifier.pt")

def answer(q):
    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])
    return resp.choices[0].message.content
