import requests
r = requests.post("http://llm.internal.example.com/v1/chat/completions", json={})
