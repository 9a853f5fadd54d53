#!/usr/bin/env python3
"""Baselines for the throughput bench: what a typical Python script sends in a few
seconds, sequentially, to the same loopback receivers.

    baseline.py http URL --seconds 3 --sample sample.json   # requests, one Session
    baseline.py smtp PORT --seconds 3 --sample sample.json  # smtplib, one connection

Prints one JSON line: {"count": N, "seconds": S, "rate": R}, or {"skipped": "why"}.
"""

import argparse
import json
import time


def http(url, seconds, sample):
    try:
        import requests
    except ImportError:
        print(json.dumps({"skipped": "the Python package requests is missing (pip install requests)"}))
        return
    body = dict(sample)
    session = requests.Session()
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        key = f"py{count}.{sample['key']}"
        body["key"] = key
        response = session.post(url, json=body, headers={"Idempotency-Key": key}, timeout=30)
        response.raise_for_status()
        count += 1
    elapsed = time.perf_counter() - started
    print(json.dumps({"count": count, "seconds": elapsed, "rate": count / elapsed}))


def smtp(port, seconds, sample):
    import smtplib
    from email.message import EmailMessage
    from email.utils import formatdate

    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    with smtplib.SMTP("127.0.0.1", int(port), timeout=30) as server:
        while time.perf_counter() < deadline:
            message = EmailMessage()
            message["From"] = "Nhắc việc <nhacviec@namdinh.example>"
            message["To"] = "vanthu@so-01.namdinh.example"
            message["Subject"] = sample["subject"]
            message["Date"] = formatdate(localtime=True)
            message["Message-ID"] = f"<py{count}.{sample['key']}@namdinh.example>"
            message.set_content(sample["text"])
            server.send_message(message)
            count += 1
    elapsed = time.perf_counter() - started
    print(json.dumps({"count": count, "seconds": elapsed, "rate": count / elapsed}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["http", "smtp"])
    parser.add_argument("target", help="URL (http) or port (smtp)")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sample", required=True, help="JSON body with key, subject and text")
    args = parser.parse_args()
    with open(args.sample, encoding="utf-8") as file:
        sample = json.load(file)
    if args.mode == "http":
        http(args.target, args.seconds, sample)
    else:
        smtp(args.target, args.seconds, sample)


if __name__ == "__main__":
    main()
