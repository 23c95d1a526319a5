"""The web page: ``python app.py [--host H] [--port P] …`` is ``qa serve …`` (index built on first run)."""

from qa.cli import serve_main

if __name__ == "__main__":
    serve_main()
