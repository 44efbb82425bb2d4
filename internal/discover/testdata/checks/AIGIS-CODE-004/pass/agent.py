from openai import OpenAI
import subprocess, json
client = OpenAI()

def run(q):
    resp = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": q}])
    text = resp.choices[0].message.content
    print(text)

def other(db):
    subprocess.run(["ls", "-l"])
    db.execute("SELECT 1 WHERE x = ?", (q,))
