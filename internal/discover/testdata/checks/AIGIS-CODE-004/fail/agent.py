from openai import OpenAI
import subprocess
client = OpenAI()

def run(q):
    resp = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": q}])
    cmd = resp.choices[0].message.content
    subprocess.run(cmd, shell=True)

def query(db, q):
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=[]).choices[0].message.content
    sql = f"SELECT * FROM t WHERE name = '{answer}'"
    db.execute(sql)
